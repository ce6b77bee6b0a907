// A view of the host's Nbbo (64 bytes): the best bid and offer across venues.

import { VenueId } from "./codes";

export const NBBO_BYTES: i32 = 64;

@unmanaged
export class Nbbo {
  get bidPx(): u64 {
    return load<u64>(changetype<usize>(this));
  }

  get bidSz(): u64 {
    return load<u64>(changetype<usize>(this), 8);
  }

  get askPx(): u64 {
    return load<u64>(changetype<usize>(this), 16);
  }

  get askSz(): u64 {
    return load<u64>(changetype<usize>(this), 24);
  }

  get bidVenue(): VenueId {
    return <VenueId>load<u8>(changetype<usize>(this), 32);
  }

  get askVenue(): VenueId {
    return <VenueId>load<u8>(changetype<usize>(this), 33);
  }

  get symbolId(): u16 {
    return load<u16>(changetype<usize>(this), 34);
  }

  get recvNs(): u64 {
    return load<u64>(changetype<usize>(this), 40);
  }

  /** Number of venues that contributed. */
  get venueCount(): u8 {
    return load<u8>(changetype<usize>(this), 48);
  }
}
