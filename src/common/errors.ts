/**
 * Errors with a code for the harness and the HTTP API: every failure a user
 * can cause is one of these, never a stack trace.
 *
 * @module
 */

/** A command that failed for a reason the caller can act on. */
export class CommandError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "CommandError";
  }
}
