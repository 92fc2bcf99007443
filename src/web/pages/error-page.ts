// The HTML page shown to a browser for any error.
import { escapeHtml, layout } from './layout.js';

export function errorPage(status: number, message: string): string {
  return layout(`${status} error`, `<h1>${status}</h1><p class="error">${escapeHtml(message)}</p><p><a href="javascript:history.back()">Back</a></p>`);
}
