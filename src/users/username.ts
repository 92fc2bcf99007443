// What a Berth user name may be. Names travel in URLs (/user/<name>/), cookies, Docker labels and
// container names, so the hub accepts one conservative alphabet everywhere and normalises case once.

const USERNAME = /^[a-z0-9_][a-z0-9._@-]{0,99}$/;

/** Normalises a name as every authenticator does (trim, lowercase); null when it is not a valid name. */
export function parseUsername(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const name = raw.trim().toLowerCase();
  return USERNAME.test(name) ? name : null;
}

export const USERNAME_RULE =
  'a user name is 1-100 characters of a-z, 0-9, "_", ".", "@" or "-", starting with a letter, digit or "_"';
