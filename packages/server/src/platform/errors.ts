import { ERROR_STATUS, type ErrorCode } from '@accord/contracts';

/** The one error type services throw. The HTTP layer turns it into the error envelope. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string, id: string) =>
  new AppError('not_found', `${what} ${id} was not found`);
export const forbidden = (message = 'you do not have permission to do this') =>
  new AppError('forbidden', message);
export const invalidState = (message: string, details?: unknown) =>
  new AppError('invalid_state', message, details);
