// {{name}}: quotes one post-only bid and one post-only ask around the mid and keeps them
// there as the market moves. A starting point: onBook decides what rests on the book.
//
// Money is integers, never floats: prices are px_1e9 (price x 10^9, u64) and quantities
// qty_1e8 (quantity x 10^8, i64). README.md lists the callbacks and the limits the node
// enforces.

import {
  Actions,
  Algo,
  AlgoState,
  Fill,
  L2Book,
  log,
  Params,
  register,
  Reject,
  Side,
} from "sequence-node/sdk/assemblyscript";

// Order ids are the algorithm's own. A place with the id of a live order replaces that
// order, so one fixed id per side means at most one quote per side rests at a time.
const BID_ID: u64 = 1;
const ASK_ID: u64 = 2;
const BPS: i64 = 10_000;

class Quoter extends Algo {
  // Defaults; [deploy.{{name}}.params] in Sequence.toml overrides them through onInit.
  spreadBps: i64 = 3;
  quoteQty: i64 = 1_000_000; // 0.01
  requoteTicks: i64 = 10;
  maxPosition: i64 = 5_000_000; // 0.05

  // Optional. Runs once, before any other callback, with the deployment's params. A
  // thrown Error aborts the instance before it trades: a misconfigured algorithm is
  // better stopped than quoting nonsense.
  onInit(params: Params): void {
    this.spreadBps = params.getInt("spread_bps", this.spreadBps);
    this.quoteQty = params.getFixed("quote_qty", 8, this.quoteQty);
    this.requoteTicks = params.getInt("requote_ticks", this.requoteTicks);
    this.maxPosition = params.getFixed("max_position", 8, this.maxPosition);
    if (this.spreadBps <= 0 || this.quoteQty <= 0 || this.requoteTicks < 0 || this.maxPosition < this.quoteQty) {
      throw new Error("{{name}}: need spread_bps > 0, quote_qty > 0, requote_ticks >= 0 and max_position >= quote_qty");
    }
    log.info("{{name}}: quoting " + this.spreadBps.toString() + " bps wide, " + this.quoteQty.toString() + " (1e-8) a side");
  }

  // Every book update of the deployment's symbols. The book and the state are views of the
  // node's buffers, valid during this call only. The actions returned (at most 16) are
  // checked by the node's risk gate, journaled, then sent.
  onBook(book: L2Book, state: AlgoState, actions: Actions): void {
    const mid = <i64>book.mid();
    if (mid == 0) return; // one side of the book is empty: nothing to quote around
    const tick = state.tickSize > 0 ? <i64>state.tickSize : 1;
    const halfSpread = mid * this.spreadBps / (2 * BPS);
    // Stop adding to a side once the position reaches max_position; the other side
    // still quotes, which works the position back down.
    this.quote(BID_ID, Side.Buy, floorToTick(mid - halfSpread, tick), state.position < this.maxPosition, tick, state, actions);
    this.quote(ASK_ID, Side.Sell, ceilToTick(mid + halfSpread, tick), state.position > -this.maxPosition, tick, state, actions);
  }

  // A fill of one of this instance's orders; the state already counts it.
  onFill(fill: Fill, state: AlgoState): void {
    log.info(
      "{{name}}: filled order " + fill.orderId.toString() + ", " + fill.signedQty.toString() + " at px_1e9 " +
        fill.px.toString() + "; position " + state.position.toString(),
    );
  }

  // The venue or the node's risk gate refused an order (reject.code is a RejectCode).
  // Nothing rests for that id now; the next onBook places it again.
  onReject(reject: Reject): void {
    log.warn("{{name}}: order " + reject.orderId.toString() + " rejected, code " + (<i32>reject.code).toString());
  }

  // The node is stopping: cancel what rests (the node also cancels anything left open when
  // cancel_on_shutdown is on, the default).
  onShutdown(state: AlgoState, actions: Actions): void {
    actions.cancelAll(state);
  }

  // Optional. Trading was halted (true) or resumed (false); while halted the node refuses
  // new orders and lets cancels through.
  onKillSwitch(halted: bool, state: AlgoState, actions: Actions): void {
    if (halted) actions.cancelAll(state);
  }

  private quote(id: u64, side: Side, px: i64, allowed: bool, tick: i64, state: AlgoState, actions: Actions): void {
    const live = state.findOrder(id);
    const isLive = live !== null && live.isLive;
    if (!allowed || px <= 0) {
      if (isLive) actions.cancel(id);
      return;
    }
    // Replacing on every tick would spend the rate limit and lose queue position: move a
    // quote only once it is requote_ticks away from where it should be.
    if (isLive) {
      const distance = <i64>live!.px - px;
      if ((distance < 0 ? -distance : distance) < this.requoteTicks * tick) return;
    }
    actions.postOnly(id, side, <u64>px, this.quoteQty);
  }
}

function floorToTick(px: i64, tick: i64): i64 {
  return px - px % tick;
}

function ceilToTick(px: i64, tick: i64): i64 {
  const rest = px % tick;
  return rest == 0 ? px : px - rest + tick;
}

// Runs when the node instantiates the bundle: exactly one algorithm per bundle.
register(new Quoter());
