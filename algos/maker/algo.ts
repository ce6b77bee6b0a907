// Market maker: quotes one post-only bid and one post-only ask around the mid, skewed
// against inventory, and tells the hedger about every fill so it can offset the position.

import {
  Actions,
  Algo,
  AlgoState,
  Fill,
  L2Book,
  log,
  NodeRole,
  nowNs,
  Params,
  register,
  Reject,
  RejectCode,
  send,
  Side,
} from "../../sdk/assemblyscript/index";

const BID_ID: u64 = 1;
const ASK_ID: u64 = 2;
const QTY_SCALE: i64 = 100_000_000;
const BPS: i64 = 10_000;
/** The maker never quotes a side that would take |position| past this many quote sizes. */
const MAX_INVENTORY_QUOTES: i64 = 10;
/**
 * After an order is refused for its rate (the node's limiter or the venue's), the maker
 * places nothing new for this long: requoting on every book update would only meet the
 * limiter again and again, until the reject rate halts the node.
 */
const RATE_LIMIT_QUIET_NS: u64 = 1_000_000_000;

class Maker extends Algo {
  spreadBps: i64 = 6;
  quoteQty: i64 = 1_000_000;
  skewBpsPerUnit: i64 = 40;
  requoteTicks: i64 = 2;
  /** A live quote is replaced at most once in this long (0: whenever it is requote_ticks off). */
  minRequoteNs: u64 = 0;
  hedger: string = "hedger";
  private fillMessage: Uint8Array = new Uint8Array(16);
  private quietUntilNs: u64 = 0;
  /** When each side's quote was last placed, indexed by its order id. */
  private placedAtNs: StaticArray<u64> = new StaticArray<u64>(3);

  onInit(params: Params): void {
    this.spreadBps = params.getInt("spread_bps", this.spreadBps);
    this.quoteQty = params.getFixed("quote_qty", 8, this.quoteQty);
    this.skewBpsPerUnit = params.getInt("skew_bps_per_unit", this.skewBpsPerUnit);
    this.requoteTicks = params.getInt("requote_ticks", this.requoteTicks);
    const minRequoteMs = params.getInt("min_requote_ms", 0);
    this.hedger = params.getString("hedger", this.hedger);
    if (this.spreadBps < 0 || this.quoteQty <= 0 || this.requoteTicks < 0 || minRequoteMs < 0) {
      throw new Error("maker: spread_bps, requote_ticks and min_requote_ms must be >= 0 and quote_qty > 0");
    }
    this.minRequoteNs = <u64>minRequoteMs * 1_000_000;
    log.info(
      "maker: spread " + this.spreadBps.toString() + " bps, qty " + this.quoteQty.toString() +
        " (1e-8), skew " + this.skewBpsPerUnit.toString() + " bps/unit, requote after " + this.requoteTicks.toString() +
        " ticks and " + minRequoteMs.toString() + " ms, hedger " + this.hedger,
    );
  }

  onBook(book: L2Book, state: AlgoState, actions: Actions): void {
    const mid = <i64>book.mid();
    if (mid == 0) return;
    const tick = state.tickSize > 0 ? <i64>state.tickSize : 1;
    const halfSpread = mid * this.spreadBps / (2 * BPS);
    // mid x position x bps-per-unit overflows i64; dividing in three steps keeps about
    // 1e-5 of a price unit of precision, far below any tick.
    const skew = (mid / BPS) * (state.position * this.skewBpsPerUnit / BPS) / (QTY_SCALE / BPS);
    const bid = floorToTick(mid - halfSpread - skew, tick);
    const ask = ceilToTick(mid + halfSpread - skew, tick);
    const limit = this.quoteQty * MAX_INVENTORY_QUOTES;
    const quiet = nowNs() < this.quietUntilNs;
    this.quote(BID_ID, Side.Buy, bid, state.position + this.quoteQty <= limit, quiet, tick, state, actions);
    this.quote(ASK_ID, Side.Sell, ask, state.position - this.quoteQty >= -limit, quiet, tick, state, actions);
  }

  onReject(reject: Reject): void {
    if (reject.code != RejectCode.RateLimit) return;
    const wasQuiet = nowNs() < this.quietUntilNs;
    this.quietUntilNs = nowNs() + RATE_LIMIT_QUIET_NS;
    if (!wasQuiet) log.warn("maker: order " + reject.orderId.toString() + " refused for its rate; no new quotes for 1 s");
  }

  onFill(fill: Fill, state: AlgoState): void {
    const qty = fill.signedQty;
    const message = this.fillMessage;
    store<i64>(message.dataStart, qty);
    store<u64>(message.dataStart, fill.px, 8);
    const sent = send(this.hedger, message);
    log.info(
      "maker: fill order " + fill.orderId.toString() + " qty " + qty.toString() + " px " + fill.px.toString() +
        ", position " + state.position.toString() + (sent == 0 ? "" : ", hedger not told: send returned " + sent.toString()),
    );
  }

  onShutdown(state: AlgoState, actions: Actions): void {
    actions.cancelAll(state);
  }

  onKillSwitch(halted: bool, state: AlgoState, actions: Actions): void {
    if (halted) actions.cancelAll(state);
  }

  onNodeStatus(role: NodeRole): void {
    log.info("maker: node role is now " + roleName(role));
  }

  private quote(id: u64, side: Side, px: i64, allowed: bool, quiet: bool, tick: i64, state: AlgoState, actions: Actions): void {
    const live = state.findOrder(id);
    const isLive = live !== null && live.isLive;
    if (!allowed || px <= 0) {
      if (isLive) actions.cancel(id);
      return;
    }
    if (quiet) return;
    const now = nowNs();
    if (isLive) {
      const distance = <i64>live!.px - px;
      if ((distance < 0 ? -distance : distance) < this.requoteTicks * tick) return;
      if (now - this.placedAtNs[<i32>id] < this.minRequoteNs) return;
    }
    this.placedAtNs[<i32>id] = now;
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

function roleName(role: NodeRole): string {
  if (role == NodeRole.Leader) return "leader";
  if (role == NodeRole.Follower) return "follower";
  if (role == NodeRole.Bootstrap) return "bootstrap";
  return "unknown (" + role.toString() + ")";
}

register(new Maker());
