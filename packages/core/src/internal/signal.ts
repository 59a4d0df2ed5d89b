/**
 * Base of runtime-made messages that travel through the user mailbox (to keep their
 * order relative to user messages) but are handled by the cell, not by `receive`.
 * The cell counts them so the common path needs no `instanceof` check.
 */
export abstract class Signal {}
