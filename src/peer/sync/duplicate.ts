/**
 * One connection per pair of peers. When two exist (both dialled at once,
 * or a peer reconnecting after a restart), both ends must keep the same one
 * without talking about it: the one opened by the peer with the smaller id;
 * between two opened by the same side, the newer (the older is from before
 * a restart). Pure, so both ends' choices are tested against each other.
 *
 * @module
 */

/** Who opened a connection: we did, or the peer did. */
export type Initiator = "local" | "remote";

/**
 * Whether a new connection opened by `initiator` replaces the one we hold,
 * which `held` opened; `localId` is ours, `remoteId` the peer's.
 */
export function keepNewConnection(
  ids: { localId: string; remoteId: string },
  held: Initiator,
  initiator: Initiator,
): boolean {
  if (held === initiator) return true;
  const weAreSmaller = ids.localId < ids.remoteId;
  return initiator === (weAreSmaller ? "local" : "remote");
}
