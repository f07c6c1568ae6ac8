/**
 * The refusals the server answers with: an HTTP status and a message for the caller, sent as
 * `{"error": "…"}` (the Open Inference Protocol's error object, which MLflow clients also read).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Headers the refusal needs (Allow, Connection). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** 400: the request is not what the model takes; the message says what was expected. */
export class BadRequest extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}
