/**
 * Checks the `Authorization: Bearer <token>` header of REST requests against the
 * configured token, in constant time.
 *
 * Both the expected and the presented token are hashed with SHA-256 and the digests
 * compared with `crypto.timingSafeEqual`: equal-length inputs for the comparison,
 * so neither the token's content nor its length leaks through timing.
 *
 * Access levels of routes:
 *
 * | access   | no token configured         | token configured                 |
 * |----------|-----------------------------|----------------------------------|
 * | `open`   | allowed                     | allowed                          |
 * | `read`   | allowed                     | allowed, or checked with `rest.auth.read` |
 * | `mutate` | 403 NO_TOKEN_CONFIGURED     | 401 without header, 403 if wrong |
 *
 * @remarks Main thread; immutable after construction.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, NoTokenConfiguredError, UnauthorizedError } from './rest-errors.ts';
import { REST_TOKEN_ENV } from './rest-options.ts';

/** How a route is protected. */
export type RouteAccess = 'open' | 'read' | 'mutate';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Verifies bearer tokens; see the module documentation. */
export class BearerTokenAuthenticator {
  private readonly expected: Buffer | undefined;
  private readonly authRead: boolean;

  /**
   * @param token - the configured token, or `undefined` when none is configured
   * @param authRead - whether `read` routes need the token too
   */
  constructor(token: string | undefined, authRead: boolean) {
    this.expected = token === undefined ? undefined : digest(token);
    this.authRead = authRead;
  }

  /** Whether a token is configured. */
  get hasToken(): boolean {
    return this.expected !== undefined;
  }

  /**
   * Checks one request.
   *
   * @param access - the route's access level
   * @param authorization - the request's `Authorization` header, if any
   * @param what - the method and path, for the message
   * @throws SLUICE_ERR_REST_NO_TOKEN_CONFIGURED (403) for a mutating route when no
   *   token is configured
   * @throws SLUICE_ERR_REST_UNAUTHORIZED (401) when the header is missing or not `Bearer`
   * @throws SLUICE_ERR_REST_FORBIDDEN (403) when the token does not match
   */
  check(access: RouteAccess, authorization: string | undefined, what: string): void {
    if (access === 'open') return;
    if (access === 'read' && !this.authRead) return;
    if (this.expected === undefined) {
      throw new NoTokenConfiguredError(
        `${what} changes state and needs a bearer token, but this server has none configured; start it with ${REST_TOKEN_ENV} or rest.token-file set`,
      );
    }
    const match =
      authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match === null) {
      throw new UnauthorizedError(
        `${what} needs the header "Authorization: Bearer <token>" (the token of ${REST_TOKEN_ENV} or rest.token-file)`,
      );
    }
    if (!timingSafeEqual(digest(match[1]!), this.expected)) {
      throw new ForbiddenError(`${what}: the bearer token does not match the configured one`);
    }
  }
}
