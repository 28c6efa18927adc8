import type { Incident } from '../correlate/incident';
import { decodeProcessAccess } from '../decode/accessMask';

/** The incident as the API returns it: with every process-access mask decoded. */
export function withDecodedAccess(incident: Incident): Record<string, unknown> {
    return {
        ...incident,
        signals: incident.signals.map((s) => {
            if (s.grantedAccess === undefined) return s;
            const decoded = decodeProcessAccess(s.grantedAccess);
            return {
                ...s,
                access: {
                    mask: decoded.hex,
                    rights: decoded.rights,
                    allAccess: decoded.allAccess ?? null,
                    capabilities: decoded.capabilities.map((c) => c.explanation),
                },
            };
        }),
    };
}
