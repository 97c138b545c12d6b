/**
 * LTI 1.3 claim names and role vocabulary.
 * https://www.imsglobal.org/spec/lti/v1p3#required-message-claims
 * https://www.imsglobal.org/spec/lti/v1p3#role-vocabularies
 */
export const CLAIM = {
  messageType: 'https://purl.imsglobal.org/spec/lti/claim/message_type',
  version: 'https://purl.imsglobal.org/spec/lti/claim/version',
  deploymentId: 'https://purl.imsglobal.org/spec/lti/claim/deployment_id',
  targetLinkUri: 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri',
  resourceLink: 'https://purl.imsglobal.org/spec/lti/claim/resource_link',
  roles: 'https://purl.imsglobal.org/spec/lti/claim/roles',
  context: 'https://purl.imsglobal.org/spec/lti/claim/context',
  custom: 'https://purl.imsglobal.org/spec/lti/claim/custom',
  launchPresentation: 'https://purl.imsglobal.org/spec/lti/claim/launch_presentation',
  toolPlatform: 'https://purl.imsglobal.org/spec/lti/claim/tool_platform',
  ags: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice',
  deepLinkingSettings: 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings',
  dlContentItems: 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items',
  dlData: 'https://purl.imsglobal.org/spec/lti-dl/claim/data',
  dlMsg: 'https://purl.imsglobal.org/spec/lti-dl/claim/msg',
  dlErrorMsg: 'https://purl.imsglobal.org/spec/lti-dl/claim/errormsg',
  dlLog: 'https://purl.imsglobal.org/spec/lti-dl/claim/log',
  dlErrorLog: 'https://purl.imsglobal.org/spec/lti-dl/claim/errorlog',
} as const;

/** AGS and NRPS scopes Sello asks for. https://www.imsglobal.org/spec/lti-ags/v2p0#scope-and-allowed-http-methods */
export const SCOPE = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineItemReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  resultReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
} as const;

export const TOOL_SCOPES: string[] = [SCOPE.lineItem, SCOPE.lineItemReadonly, SCOPE.score, SCOPE.resultReadonly, SCOPE.nrps];

const instructorRoles = ['Instructor', 'TeachingAssistant', 'ContentDeveloper', 'Administrator'];

/** The role's short name: `http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor` → `Instructor`. */
export function roleName(role: string): string {
  const afterHash = role.split('#').pop() ?? role;
  // Sub-roles (`membership/Instructor#TeachingAssistant`) keep their own name.
  return afterHash.split('/').pop() ?? afterHash;
}

/**
 * True for roles that manage a course in Sello: Instructor, TeachingAssistant,
 * ContentDeveloper and (institution or system) Administrator.
 */
export function isInstructorRole(roles: readonly string[]): boolean {
  return roles.some((role) => instructorRoles.includes(roleName(role)));
}

/** True when the roles include Learner (context role or its sub-roles). */
export function isLearnerRole(roles: readonly string[]): boolean {
  return roles.some((role) => roleName(role) === 'Learner' || /membership#Learner$/.test(role));
}

/**
 * True for an administrator of the LMS itself: the institution or system role
 * Administrator (LTI 1.3 §A.2.1–A.2.2), not a course's Administrator membership, which
 * administers one course only.
 * https://www.imsglobal.org/spec/lti/v1p3#role-vocabularies
 */
export function isLmsAdministratorRole(roles: readonly string[]): boolean {
  return roles.some((role) => /^http:\/\/purl\.imsglobal\.org\/vocab\/lis\/v2\/(institution|system)\/person#(Administrator|SysAdmin)$/.test(role));
}
