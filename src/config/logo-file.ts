// hub.logo_file: the image /hub/logo serves instead of Berth's own (JupyterHub's logo_file). Its type follows from
// its extension (the one table of logo types), and the file must be readable when the config is loaded, so
// `berth check` and the hub's start refuse a missing one with the key and path instead of serving a 404 later.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** Image types /hub/logo may serve, by file extension. */
export const LOGO_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
};

export function logoTypeOf(file: string): string | undefined {
  return LOGO_TYPES[path.extname(file).toLowerCase()];
}

/** Why the hub could not serve `file` (an absolute path), or null when it can read it. */
export function logoFileProblem(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return `${file} is not a file`;
    accessSync(file, constants.R_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${file} does not exist`
      : code === 'EACCES' ? `${file} cannot be read by the hub (permission denied)`
      : `${file} cannot be read (${(err as Error).message})`;
  }
}
