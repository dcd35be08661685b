/** Reads a JWT's claims without verifying them (the server verifies): who it is for, when it expires. */

/** The token's claims, or `{}` when it isn't a JWT. */
function claimsOf(token: unknown): { sub?: unknown; exp?: unknown } {
  try {
    const payload = (token as string).split(".")[1]!;
    return JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) ?? {};
  } catch {
    return {};
  }
}

/** The token's `sub`, or `undefined` when it isn't a JWT with a string `sub`. */
export function subjectOf(token: unknown): string | undefined {
  const { sub } = claimsOf(token);
  return typeof sub === "string" ? sub : undefined;
}

/** The token's `exp` in seconds, or 0 when it has none. */
export function expiryOf(token: unknown): number {
  const { exp } = claimsOf(token);
  return typeof exp === "number" && exp > 0 && exp < 2 ** 32 ? Math.floor(exp) : 0;
}
