// The one error type that carries an HTTP status. Thrown where a request cannot be served; turned into
// JSON ({status, message}) for the API or a page for browsers in exactly one place (web/errors.ts).

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, { cause: options?.cause });
    this.name = 'HttpError';
    this.headers = options?.headers ?? {};
  }
  readonly headers: Record<string, string>;
}
