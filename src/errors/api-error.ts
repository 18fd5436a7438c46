// The one error type that crosses the HTTP edge. Handlers throw ApiError instances made by the
// catalog factories (data-plane.ts, control-plane.ts); the app's error handler writes them as
// they are. Nothing else builds an error body.

export interface ErrorBody {
  error: {
    code: string | null;
    message: string;
    [extra: string]: unknown;
  };
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error.message);
    this.name = 'ApiError';
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}
