/** The in-memory publisher keeps the contract the outbox relies on. */
import { InMemoryIncidentPublisher } from '../../../shared/ports/InMemoryIncidentPublisher';
import { DeliveryUnavailableError } from '../../../shared/errors';
import { incidentPublisherContract } from '../../contracts/incidentPublisherContract';

incidentPublisherContract('InMemoryIncidentPublisher', () => {
    const publisher = new InMemoryIncidentPublisher('memory', () => new Date('2026-11-25T10:01:00.000Z'));
    // The in-memory target holds one row per (id, version): repeats overwrite.
    return Promise.resolve({
        publisher,
        rows: () => publisher.rows(),
        breakNext: () =>
            publisher.failNext(
                (incidents) =>
                    new DeliveryUnavailableError(
                        'memory target down',
                        incidents.map((i) => ({ id: i.id, version: i.version })),
                        [undefined],
                    ),
            ),
    });
});
