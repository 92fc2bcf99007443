// A Jupyter kernel driven over its WebSocket (/api/kernels/<id>/channels) through the hub's public port, as
// JupyterLab does: run code, get what it printed. Authenticates with a hub API token.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export class KernelSocket {
  private constructor(private readonly ws: WebSocket, private readonly session: string) {}

  /** Opens `<kernel url>/channels`; rejects with the status when the hub or the server refuses the upgrade. */
  static async open(kernelUrl: string, token: string): Promise<KernelSocket> {
    const session = randomUUID().replace(/-/g, '');
    const ws = new WebSocket(`${kernelUrl}/channels?session_id=${session}`, { headers: { Authorization: `token ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket refused: ${res.statusCode}`)));
    });
    return new KernelSocket(ws, session);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Executes `code`; resolves with its stream output once the kernel is idle, rejects on an error or a close. */
  run(code: string): Promise<string> {
    const msgId = randomUUID();
    const output = new Promise<string>((resolve, reject) => {
      let text = '';
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(String(data)) as { msg_type: string; parent_header: { msg_id?: string }; content: Record<string, unknown> };
        if (msg.parent_header.msg_id !== msgId) return;
        if (msg.msg_type === 'stream') text += String(msg.content.text);
        if (msg.msg_type === 'error') reject(new Error(`kernel error: ${String(msg.content.evalue)}`));
        if (msg.msg_type === 'status' && msg.content.execution_state === 'idle') {
          this.ws.off('message', onMessage);
          resolve(text);
        }
      };
      this.ws.on('message', onMessage);
      this.ws.once('close', () => reject(new Error('the kernel WebSocket closed')));
    });
    this.ws.send(JSON.stringify({
      header: { msg_id: msgId, username: 'alice', session: this.session, msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
      parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
      content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
    }));
    return output;
  }

  close(): void {
    this.ws.close();
  }
}
