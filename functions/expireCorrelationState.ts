/**
 * Timer: removes correlation state that has waited long enough (Table Storage has no TTL). Thin.
 */
import { app } from '@azure/functions';
import type { InvocationContext, Timer, TimerHandler } from '@azure/functions';
import type { CorrelationDependencies } from '../shared/correlate/correlationService';
import { getCorrelationDependencies } from './composition';

export function expireCorrelationStateWith(
    dependencies: () => Promise<CorrelationDependencies>,
    now: () => Date = () => new Date(),
): TimerHandler {
    return async (_timer: Timer, context: InvocationContext): Promise<void> => {
        const removed = await (await dependencies()).correlator.expire(now());
        context.info(`expire: removed ${removed} correlation records`);
    };
}

export const expireCorrelationState = expireCorrelationStateWith(getCorrelationDependencies);

app.timer('expireCorrelationState', {
    schedule: '0 */15 * * * *', // every 15 minutes; pending state is kept 60 minutes (shared/correlate/config.ts)
    handler: expireCorrelationState,
});
