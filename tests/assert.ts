/**
 * Assertions for tests, shaped like Deno std's `@std/assert` (which cannot be
 * installed here: JSR is unreachable) and built on `node:assert`.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(actual, pattern, message);
}

export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  nodeAssert.ok(
    actual.includes(expected),
    message ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = new (...args: any[]) => E;

/** Asserts that `fn` rejects (with an instance of `errorClass` when given); returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  errorClass?: ErrorClass<E>,
  includes?: string,
  message?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    checkError(error, errorClass, includes, message);
    return error as E;
  }
  throw new nodeAssert.AssertionError({ message: message ?? "expected the promise to reject" });
}

/** Asserts that `fn` throws (an instance of `errorClass` when given); returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  errorClass?: ErrorClass<E>,
  includes?: string,
  message?: string,
): E {
  try {
    fn();
  } catch (error) {
    checkError(error, errorClass, includes, message);
    return error as E;
  }
  throw new nodeAssert.AssertionError({ message: message ?? "expected the function to throw" });
}

function checkError<E extends Error>(
  error: unknown,
  errorClass: ErrorClass<E> | undefined,
  includes: string | undefined,
  message: string | undefined,
): void {
  if (errorClass && !(error instanceof errorClass)) {
    throw new nodeAssert.AssertionError({
      message: `${message ? message + ": " : ""}expected ${errorClass.name}, got ${error}`,
    });
  }
  if (includes !== undefined) {
    const text = error instanceof Error ? error.message : String(error);
    assertStringIncludes(text, includes, message);
  }
}
