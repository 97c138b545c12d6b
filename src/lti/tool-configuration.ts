/**
 * What Sello tells an LMS about itself: the LTI Dynamic Registration request and the
 * Canvas developer-key JSON. Both list the same endpoints, scopes and messages.
 *
 * https://www.imsglobal.org/spec/lti-dr/v1p0#tool-configuration
 * https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html
 */
import { TOOL_SCOPES } from './claims.ts';

export interface ToolEndpoints {
  login: string;
  launch: string;
  jwks: string;
  register: string;
  canvasJson: string;
  logo: string;
}

export function toolEndpoints(publicUrl: string): ToolEndpoints {
  return {
    login: `${publicUrl}/lti/login`,
    launch: `${publicUrl}/lti/launch`,
    jwks: `${publicUrl}/lti/keys`,
    register: `${publicUrl}/lti/register`,
    canvasJson: `${publicUrl}/lti/canvas.json`,
    logo: `${publicUrl}/static/sello-logo.svg`,
  };
}

export interface ToolDescription {
  publicUrl: string;
  name: string;
  description: string;
}

/** Custom parameters every launch carries (LTI variable substitution). */
const customParameters = {
  context_id_history: '$Context.id.history',
  user_locale: '$Person.address.locale',
};

/**
 * The body of the Dynamic Registration POST (OpenID Connect client metadata + the LTI
 * tool configuration claim). `scopesSupported` (from the platform's openid-configuration)
 * narrows the scopes: Canvas answers 422 to a scope it does not offer.
 */
export function buildRegistrationRequest(tool: ToolDescription & { scopesSupported?: string[] }): Record<string, unknown> {
  const endpoints = toolEndpoints(tool.publicUrl);
  const scopes = tool.scopesSupported ? TOOL_SCOPES.filter((scope) => tool.scopesSupported!.includes(scope)) : TOOL_SCOPES;
  return {
    application_type: 'web',
    response_types: ['id_token'],
    grant_types: ['implicit', 'client_credentials'],
    initiate_login_uri: endpoints.login,
    redirect_uris: [endpoints.launch],
    client_name: tool.name,
    'client_name#es': tool.name,
    jwks_uri: endpoints.jwks,
    logo_uri: endpoints.logo,
    token_endpoint_auth_method: 'private_key_jwt',
    scope: scopes.join(' '),
    'https://purl.imsglobal.org/spec/lti-tool-configuration': {
      domain: new URL(tool.publicUrl).host,
      description: tool.description,
      target_link_uri: endpoints.launch,
      custom_parameters: customParameters,
      claims: ['iss', 'sub', 'name', 'given_name', 'family_name', 'email', 'picture', 'locale'],
      messages: [
        {
          type: 'LtiDeepLinkingRequest',
          target_link_uri: endpoints.launch,
          label: `${tool.name}: badge`,
          'label#es': `${tool.name}: insignia`,
          placements: ['ContentArea', 'link_selection', 'assignment_selection'],
          supported_types: ['ltiResourceLink'],
        },
        {
          type: 'LtiResourceLinkRequest',
          target_link_uri: endpoints.launch,
          label: `${tool.name}: badges`,
          'label#es': `${tool.name}: insignias`,
          placements: ['course_navigation'],
        },
      ],
    },
  };
}

/** Canvas developer-key JSON ("Enter URL" in Developer Keys → + LTI Key). */
export function buildCanvasConfiguration(tool: ToolDescription): Record<string, unknown> {
  const endpoints = toolEndpoints(tool.publicUrl);
  const placement = (placement: string, messageType: string, text: string) => ({
    placement,
    message_type: messageType,
    target_link_uri: endpoints.launch,
    text,
    icon_url: endpoints.logo,
  });
  return {
    title: tool.name,
    description: tool.description,
    oidc_initiation_url: endpoints.login,
    target_link_uri: endpoints.launch,
    public_jwk_url: endpoints.jwks,
    scopes: TOOL_SCOPES,
    custom_fields: { ...customParameters, canvas_course_id: '$Canvas.course.id' },
    extensions: [
      {
        domain: new URL(tool.publicUrl).host,
        platform: 'canvas.instructure.com',
        privacy_level: 'public',
        tool_id: 'sello',
        settings: {
          text: tool.name,
          icon_url: endpoints.logo,
          placements: [
            { ...placement('course_navigation', 'LtiResourceLinkRequest', `${tool.name} badges`), default: 'enabled', visibility: 'public' },
            placement('link_selection', 'LtiDeepLinkingRequest', `${tool.name} badge`),
            placement('assignment_selection', 'LtiDeepLinkingRequest', `${tool.name} badge`),
          ],
        },
      },
    ],
  };
}
