// How much one user's API tokens may weigh on the hub: note length (JupyterHub's column size), tokens held at
// once, and lifetime. A token row is small only while these hold; the API parses requests against them.

export const TOKEN_LIMITS = {
  /** JupyterHub's `note` column is Unicode(1023). */
  noteChars: 1023,
  /** API tokens a user may hold at once (server and OAuth tokens are not counted: the hub issues those). */
  perUser: 1000,
  /** OAuth tokens one user holds from one server (one per browser sign-in there); past it the oldest is revoked. */
  oauthPerClient: 1000,
  /** Ten years: any longer is "never" in disguise, and 1e308 seconds is not a date at all. */
  maxLifetimeSeconds: 10 * 365 * 86400,
} as const;
