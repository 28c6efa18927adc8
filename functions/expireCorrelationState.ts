/**
 * Timer: the correlation maintenance pass. Visits the hosts that are due, delivers incident versions still waiting
 * in their outbox, removes correlation state that has waited long enough (Table Storage has no TTL) and hosts left
 * empty. Bounded per invocation (a host count and a time budget well inside host.json's `functionTimeout`); the next
 * run resumes with the hosts still due. Thin.
 */
import { app } from '@azure/functions';
import type { InvocationContext, Timer, TimerHandler } from '@azure/functions';
import type { CorrelationDependencies } from '../shared/correlate/correlationService';
import { getCorrelationDependencies } from './composition';

/** Time spent visiting hosts per run: under half of host.json's functionTimeout (10 minutes). */
const TIME_BUDGET_MS = 4 * 60_000;
/** Hosts visited per run at most. */
const MAX_HOSTS = 20_000;

export function expireCorrelationStateWith(
    dependencies: () => Promise<CorrelationDependencies>,
    now: () => Date = () => new Date(),
    elapsedMs: () => number = (
        (start) => () =>
            performance.now() - start
    )(performance.now()),
): TimerHandler {
    return async (_timer: Timer, context: InvocationContext): Promise<void> => {
        const started = elapsedMs();
        const outcome = await (
            await dependencies()
        ).correlator.expire(now(), {
            maxHosts: MAX_HOSTS,
            shouldStop: () => elapsedMs() - started > TIME_BUDGET_MS,
        });
        const line =
            `expire: removed ${outcome.removed} correlation records, visited ${outcome.hosts} due hosts ` +
            `(${outcome.hostsRemoved} removed, ${outcome.skipped} skipped after conflicts), ` +
            `delivered ${outcome.delivered} pending incident versions, ${outcome.pending} still pending` +
            (outcome.complete ? '' : '; budget used up, the next run resumes');
        if (outcome.deliveryFailures.length > 0 || outcome.skipped > 0 || !outcome.complete) context.warn(line);
        else context.info(line);
        for (const failure of outcome.deliveryFailures)
            context.error(
                `outbox: publisher ${failure.publisher} did not take ${failure.incidents} incident versions; they stay pending: ${failure.error}`,
            );
    };
}

export const expireCorrelationState = expireCorrelationStateWith(getCorrelationDependencies);

app.timer('expireCorrelationState', {
    // Every 5 minutes: it also delivers outbox entries a failed publisher left (a host is due one minute after such
    // a commit), and pending state is kept HOLLOWTRACE_PENDING_RETENTION_MINUTES (default 60) after its last change.
    schedule: '0 */5 * * * *',
    handler: expireCorrelationState,
});
