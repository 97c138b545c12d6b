/**
 * How a CLI command reaches a running Sello: its admin API, with the admin token. When
 * nothing listens at the URL (connection refused, unknown host) the answer is null and
 * the command works on the database itself. A Sello that is there but slow is waited
 * for and then reported, never bypassed: a command must not fall back to writing the
 * database behind the back of a server that is merely busy.
 */
import { AppError } from '../errors.ts';

export type AdminApiErrorCode = 'sello_not_answering';

export class AdminApiError extends AppError<AdminApiErrorCode> {}

export interface AdminApiAnswer {
  status: number;
  ok: boolean;
  body: Record<string, unknown>;
}

/** How long a busy Sello is waited for. */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * Calls `method path` on the Sello at `baseUrl`; null when nothing listens there.
 *
 * @throws AdminApiError `sello_not_answering` when a server accepted the connection but
 *   sent no answer within 30 s.
 */
export async function callAdminApi(params: {
  baseUrl: string;
  token: string;
  method: string;
  path: string;
  body?: unknown;
  timeoutMs?: number;
}): Promise<AdminApiAnswer | null> {
  const timeoutMs = params.timeoutMs ?? ANSWER_TIMEOUT_MS;
  let response: Response;
  try {
    response = await fetch(`${params.baseUrl.replace(/\/+$/, '')}${params.path}`, {
      method: params.method,
      headers: { authorization: `Bearer ${params.token}`, 'content-type': 'application/json', accept: 'application/json', 'x-sello-cli': '1' },
      body: params.body === undefined ? undefined : JSON.stringify(params.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') {
      throw new AdminApiError('sello_not_answering', `The Sello at ${params.baseUrl} did not answer within ${timeoutMs / 1000} s; try again, or stop it to work on the database`, {
        url: params.baseUrl,
      });
    }
    return null;
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, ok: response.ok, body };
}
