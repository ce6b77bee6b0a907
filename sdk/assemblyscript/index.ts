// The Sequence algorithm SDK for AssemblyScript. An algorithm imports everything from here.

export { Actions, MAX_ACTIONS } from "./actions";
export { Algo, register } from "./algo";
export { BOOK_LEVELS, L2Book } from "./book";
export { nowNs } from "./clock";
export { NodeRole, OrderStatus, OrderType, Side, VenueId } from "./codes";
export { Fill } from "./fill";
export { log, LogLevel } from "./log";
export { MAX_LABEL_BYTES, MAX_MESSAGE_BYTES, MAX_SENDS_PER_CALLBACK, send, SendResult } from "./mesh";
export { Nbbo } from "./nbbo";
export { OpenOrder } from "./order";
export { Params } from "./params";
export { Reject, RejectCode } from "./reject";
export { AlgoState } from "./state";
