/**
 * The readings the production XML scanner's shortcuts are checked against (test/unit/ingest/eventXml.test.ts): the
 * general scanner without the usual-layout shortcut, and the same scanner tag by tag, without the fast runs through
 * `<System>` and `<EventData>` either. Test-only: the tag-by-tag reading is the slowest.
 */
import { scanGeneral, toScanResult } from '../../shared/ingest/eventXml';
import type { XmlLimits, XmlScanResult } from '../../shared/ingest/eventXml';

/** The general scanner alone, without the usual-layout shortcut. */
export function scanEventXmlGeneral(xml: string, limits: XmlLimits): XmlScanResult {
    return toScanResult(scanGeneral, xml, limits);
}

/** The general scanner tag by tag: the reference the fast paths are tested against. */
export function scanEventXmlTagByTag(xml: string, limits: XmlLimits): XmlScanResult {
    return toScanResult((text, scanLimits) => scanGeneral(text, scanLimits, false), xml, limits);
}
