import { BadUserInputError, OutcomeUnknownError } from '../common/errors';
import { MemberFailed, type UnitGroups } from '../db/unit-group';
import type { UnitContext, UnitOfWork } from '../db/unit-of-work';
import { lockShopper } from '../repositories/user.repository';
import type { RequestContext, Viewer } from './context';
import { WriteRefused, type RateLimitService } from './rate-limit.service';
import { requireViewer } from './viewer';

/**
 * The one prologue of every shopper mutation (addToCart, updateCartItem, removeFromCart,
 * clearCart, checkout, buyNow), in one order:
 *
 * 1. the viewer (UNAUTHENTICATED first: the resolver's @Authorized checks it before anything);
 * 2. the input's shape, parsed once at the GraphQL boundary (BAD_USER_INPUT naming the field);
 * 3. the per-shopper hold cap MAX_HOLD_PER_PRODUCT on the asked quantity (BAD_USER_INPUT);
 * 4. the write limiter (RATE_LIMITED): only well-formed requests count;
 * 5. the unit of work, whose FIRST statement is the shopper lock (in `run`, the limiter's count
 *    of step 4 is that statement). On MySQL it may share its transaction with other shoppers'
 *    units (db/unit-group.ts), keyed by the shopper, so that one shopper's units never share one.
 *
 * buyNow runs 1 and 3 (`requireShopper`), then its own batch, which counts step 4 in its
 * transaction's first round trip and needs no shopper lock (it never reads the cart); its sold-out
 * fast path sits between 3 and 4, so that refusals after a sell-out cost no limiter write.
 */
export class ShopperMutation {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly rateLimits: RateLimitService,
    private readonly maxHoldPerProduct: number,
    private readonly groups?: UnitGroups,
  ) {}

  /** Steps 1 and 3 (step 2 happened at the boundary): the viewer, once the quantity is within the cap. */
  requireShopper(ctx: RequestContext, quantity?: number): Viewer {
    const viewer = requireViewer(ctx);
    if (quantity !== undefined) this.requireWithinHoldCap(quantity);
    return viewer;
  }

  /** Step 4: counts the write in the shopper's limiter window. */
  async countWrite(ctx: RequestContext, viewer: Viewer): Promise<void> {
    await this.rateLimits.consumeWrite(ctx, viewer.id);
  }

  /**
   * Steps 1–5: `work` runs in a unit of work (retried whole on a lost race) that starts with the
   * shopper lock. The write limiter's count (step 4) IS that first statement: its upsert
   * write-locks the shopper's counter row for the unit, so one statement both counts and
   * serialises (with the limiter off, lockShopper takes the users row instead), and it travels in
   * one round trip with the unit's BEGIN, ahead of its first statement. Over the limit, that first
   * statement fails (WriteRefused), the unit rolls back, and the attempt is counted on its own,
   * which answers RATE_LIMITED. A unit that fails otherwise (a domain error, CONFLICT, …) also
   * rolls its count back, so the attempt is counted again on its own afterwards: every admitted
   * attempt counts, as with a separate limiter.
   */
  async run<T>(
    ctx: RequestContext,
    options: { quantity?: number; outcomeUnknownMessage?: string },
    work: (tx: UnitContext<RequestContext>, viewer: Viewer) => Promise<T>,
  ): Promise<T> {
    const viewer = this.requireShopper(ctx, options.quantity);
    try {
      const unit = async (tx: UnitContext<RequestContext>) => {
        if (!this.rateLimits.countWriteInUnit(tx.sql, viewer.id)) lockShopper(tx.sql, viewer.id);
        return work(tx, viewer);
      };
      const unitOptions = { outcomeUnknownMessage: options.outcomeUnknownMessage };
      return await (this.groups ? this.groups.run(ctx, viewer.id, unit, unitOptions) : this.uow.run(ctx, unit, unitOptions));
    } catch (caught) {
      // Failed alone in a shared transaction that committed (db/unit-group.ts): its count committed with the others.
      const counted = caught instanceof MemberFailed;
      const error = counted ? caught.cause : caught;
      if (error instanceof WriteRefused) {
        // Counted on its own: over the limit this throws RATE_LIMITED with the window's retryAfter.
        await this.countWrite(ctx, viewer);
        // The window ended in between, so the attempt is admitted after all: run it (counted once more, at a window's start).
        return this.run(ctx, options, work);
      }
      // Outcome unknown: the count may have committed with the unit; counting again could count twice.
      if (!counted && !(error instanceof OutcomeUnknownError)) await this.countWrite(ctx, viewer).catch(() => undefined);
      throw error;
    }
  }

  /**
   * One shopper may hold (a cart line) or buy (one buyNow) at most MAX_HOLD_PER_PRODUCT units of a
   * product, so that a single account cannot reserve a flash sale's whole stock.
   */
  requireWithinHoldCap(quantity: number): void {
    const cap = this.maxHoldPerProduct;
    if (quantity > cap) throw new BadUserInputError('quantity', `You can hold or buy at most ${cap} units of one product`);
  }
}
