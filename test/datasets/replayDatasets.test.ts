/**
 * The detector on the real recordings (issue 3's table): each recording replayed alone yields incidents for
 * exactly the listed injector -> target pairs (image base names) and no other, with T1055.012 where named.
 * The pairs come from the recordings' sources, never from the detector's output.
 *
 * `SIGNALS_FIRED` is the golden record of what fired on each recording (pair, technique, severity and the signals
 * that scored), reviewed by hand against each recording's published description (the datasets' own README): a change in
 * which signals fire on real data must show up in review, not only a change of pairs.
 */
import { replayInMemory } from '../helpers/replayInMemory';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../shared/correlate/config';
import { InMemoryIncidentStore } from '../../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../../shared/ports/InMemoryHostStateStore';
import { Correlator } from '../../shared/correlate/Correlator';
import { isNeededForCorrelation } from '../../shared/correlate/facts';
import { isWellFormedImagePath } from '../../shared/correlate/imageNames';
import { ingestBatch } from '../../shared/ingest/ingestBatch';
import {
    DATASETS_DIR,
    DATASETS_PRESENT,
    DATASETS_SKIP_REASON,
    readDatasetSummary,
    readGzipLines,
} from '../support/datasets';
import { IncidentStorePublisher } from '../../shared/publish/IncidentStorePublisher';

interface Expectation {
    pairs: string[];
    technique?: string;
    /** A pair that may appear but need not (the issue tolerates one). */
    tolerated?: string[];
}

const EXPECTED: Record<string, Expectation> = {
    'evtx-attack-samples/Defense_Evasion__apt10_jjs_sideloading_prochollowing_persist_as_service_sysmon_1_7_8_13': {
        pairs: ['jjs.exe -> svchost.exe'],
        technique: 'T1055.012',
    },
    'evtx-attack-samples/AutomatedTestingTools_Malware__sideloading_injection_persistence_run_key': {
        pairs: ['tendyron.exe -> iexplore.exe'],
    },
    'evtx-attack-samples/Defense_Evasion__DE_ProcessHerpaderping_Sysmon_11_10_1_7': {
        pairs: ['processherpaderping.exe -> samir.exe'],
    },
    'evtx-attack-samples/Defense_Evasion__de_unmanagedpowershell_psinject_sysmon_7_8_10': {
        pairs: ['powershell.exe -> notepad.exe'],
    },
    'evtx-attack-samples/Defense_Evasion__meterpreter_migrate_to_explorer_sysmon_8': {
        pairs: ['m.exe -> explorer.exe'],
    },
    'evtx-attack-samples/Defense_Evasion__evasion_codeinj_odzhan_conhost_sysmon_10_1': {
        pairs: ['conhost.exe -> notepad.exe'],
    },
    'evtx-attack-samples/Defense_Evasion__Sysmon_10_Evasion_Suspicious_NtOpenProcess_CallTrace': {
        pairs: ['za3bollo.exe -> notepad.exe'],
    },
    'evtx-attack-samples/Credential_Access__CA_sysmon_hashdump_cmd_meterpreter': {
        pairs: ['voice_mail.msg.exe -> lsass.exe'],
    },
    'evtx-attack-samples/Credential_Access__CA_keefarce_keepass_credump': { pairs: ['keefarce.exe -> keepass.exe'] },
    // NvSmart.exe (a side-loaded PlugX-style host) starts `cmd.exe /A` from code no module backs; nothing shows on
    // cmd.exe's side (no reopen, no thread, no network; the source says whether code was written into cmd.exe "is not
    // visible in these events"). So the finding names NvSmart.exe as the process running unbacked code (T1620),
    // target = the creator itself, with the child as evidence: formerly `nvsmart.exe -> cmd.exe` (T1055.012).
    'evtx-attack-samples/AutomatedTestingTools_Malware__DE_timestomp_and_dll_sideloading_and_RunPersist': {
        pairs: ['nvsmart.exe -> nvsmart.exe'],
        technique: 'T1620',
    },
    'security-datasets/cmd_process_herpaderping_mimiexplorer': { pairs: ['processherpaderping.exe -> wardog.exe'] },
    'security-datasets/covenant_lolbin_wuauclt_createremotethread': { pairs: ['wuauclt.exe -> notepad.exe'] },
    'security-datasets/covenant_wmi_wbemcomn_dll_hijack': { pairs: ['wmiprvse.exe -> notepad.exe'] },
    'security-datasets/empire_dllinjection_LoadLibrary_CreateRemoteThread': {
        pairs: ['powershell.exe -> notepad.exe'],
    },
    'security-datasets/empire_psinject_PEinjection': { pairs: ['powershell.exe -> notepad.exe'] },
    'security-datasets/psh_mavinject_dll_notepad': { pairs: ['mavinject.exe -> notepad.exe'] },
    // payload.exe (an implant from the lab's own tooling) starts cmd.exe from unbacked code; cmd.exe shows nothing of
    // its own, so it is no victim: formerly the tolerated `payload.exe -> cmd.exe` (T1055.012), now at most a finding
    // on payload.exe itself (T1620, Medium). The recording is background for the injection classes, so it stays
    // tolerated rather than required.
    'security-datasets/cmd_psh_stop_netprofm_eventlog_after_reboot': {
        pairs: [],
        tolerated: ['payload.exe -> payload.exe'],
    },
};

/** What fired on each recording: `injector -> target technique severity: signals that scored` (see the header). */
const SIGNALS_FIRED: Record<string, string[]> = {
    'security-datasets/cmd_process_herpaderping_mimiexplorer': [
        'processherpaderping.exe -> wardog.exe T1055 Medium: image-written-before-start, native-process-creation',
    ],
    'security-datasets/covenant_lolbin_wuauclt_createremotethread': [
        'wuauclt.exe -> notepad.exe T1055.012 High: follow-up-unsigned-image, hollowing-host-network, hollowing-host-without-arguments, remote-thread-unbacked',
    ],
    'security-datasets/empire_dllinjection_LoadLibrary_CreateRemoteThread': [
        'powershell.exe -> notepad.exe T1055.001 High: remote-thread-loadlibrary, third-party-access-from-unbacked-code',
    ],
    'security-datasets/empire_psinject_PEinjection': [
        'powershell.exe -> notepad.exe T1055.002 High: remote-thread-unbacked, third-party-access-from-unbacked-code',
    ],
    'security-datasets/psh_mavinject_dll_notepad': [
        'mavinject.exe -> notepad.exe T1055.001 High: command-line-injection, follow-up-unsigned-image, hollowing-host-without-arguments, remote-thread-loadlibrary',
    ],
    'security-datasets/covenant_wmi_wbemcomn_dll_hijack': [
        'wmiprvse.exe -> notepad.exe T1055.012 High: follow-up-unsigned-image, hollowing-host-without-arguments, remote-thread-unbacked',
    ],
    'security-datasets/empire_mimikatz_lsadump_inject_protected_mode': [],
    'security-datasets/schtask_create': [],
    'security-datasets/aptsimulator_cobaltstrike': [],
    'security-datasets/empire_persistence_registry_modification_run_keys_standard_user': [],
    'security-datasets/cmd_psh_stop_netprofm_eventlog_after_reboot': [
        'payload.exe -> payload.exe T1620 Medium: process-created-from-unbacked-code',
    ],
    'evtx-attack-samples/Defense_Evasion__apt10_jjs_sideloading_prochollowing_persist_as_service_sysmon_1_7_8_13': [
        'jjs.exe -> svchost.exe T1055.012 High: hollowing-host-unexpected-parent, hollowing-host-without-arguments, remote-thread-unbacked',
    ],
    'evtx-attack-samples/AutomatedTestingTools_Malware__sideloading_injection_persistence_run_key': [
        'tendyron.exe -> iexplore.exe T1055.012 Medium: access-from-user-writable-module, creator-reopened-with-code-rights',
    ],
    'evtx-attack-samples/Defense_Evasion__DE_ProcessHerpaderping_Sysmon_11_10_1_7': [
        'processherpaderping.exe -> samir.exe T1055 Medium: follow-up-unsigned-image, image-written-before-start, native-process-creation',
    ],
    'evtx-attack-samples/Defense_Evasion__de_unmanagedpowershell_psinject_sysmon_7_8_10': [
        'powershell.exe -> notepad.exe T1055.002 Medium: remote-thread-unbacked',
    ],
    'evtx-attack-samples/Defense_Evasion__meterpreter_migrate_to_explorer_sysmon_8': [
        'm.exe -> explorer.exe T1055.002 Medium: remote-thread-unbacked',
    ],
    'evtx-attack-samples/Defense_Evasion__evasion_codeinj_odzhan_conhost_sysmon_10_1': [
        'conhost.exe -> notepad.exe T1055.012 Medium: creator-access-from-unbacked-code, hollowing-host-without-arguments',
    ],
    'evtx-attack-samples/Defense_Evasion__Sysmon_10_Evasion_Suspicious_NtOpenProcess_CallTrace': [
        'za3bollo.exe -> notepad.exe T1055 High: access-direct-syscall, third-party-access-from-unbacked-code, third-party-code-access',
    ],
    'evtx-attack-samples/Credential_Access__CA_sysmon_hashdump_cmd_meterpreter': [
        'voice_mail.msg.exe -> lsass.exe T1055.002 High: remote-thread-unbacked, third-party-access-from-unbacked-code, third-party-code-access',
    ],
    'evtx-attack-samples/Credential_Access__CA_keefarce_keepass_credump': [
        'keefarce.exe -> keepass.exe T1055.001 Medium: remote-thread-foreign-module',
    ],
    'evtx-attack-samples/AutomatedTestingTools_Malware__DE_timestomp_and_dll_sideloading_and_RunPersist': [
        'nvsmart.exe -> nvsmart.exe T1620 Medium: follow-up-child-process, image-written-before-start, process-created-from-unbacked-code',
    ],
    'evtx-attack-samples/Defense_Evasion__sysmon_10_1_ppid_spoofing': [],
    'evtx-attack-samples/Discovery__discovery_meterpreter_ps_cmd_process_listing_sysmon_10': [],
    'evtx-attack-samples/Credential_Access__sysmon_rdrleakdiag_lsass_dump': [],
    'evtx-attack-samples/Credential_Access__sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords': [],
};

function baseName(path: string | undefined): string {
    return (path ?? '?').split(/[\\/]/).pop()!.toLowerCase();
}

function pairOf(incident: { injector: { image?: string }; target: { image?: string } }): string {
    return `${baseName(incident.injector.image)} -> ${baseName(incident.target.image)}`;
}

const recordings = DATASETS_PRESENT
    ? readDatasetSummary().map((row) => row.file.replace(/\.sysmon\.jsonl\.gz$/, ''))
    : [];

describe.skipIf(!DATASETS_PRESENT)(
    `detector on the real recordings ${DATASETS_PRESENT ? '' : `(${DATASETS_SKIP_REASON})`}`,
    () => {
        it('covers every recording of the issue table (16 attacks, 9 without incident)', () => {
            expect(recordings).toHaveLength(25);
            for (const name of Object.keys(EXPECTED)) expect(recordings).toContain(name);
        });

        it.each(recordings)('%s', async (recording) => {
            const expected = EXPECTED[recording] ?? { pairs: [] };
            // The recording as the issue names it (no extension): replay resolves it to its flat `.sysmon.jsonl.gz` form.
            const result = await replayInMemory([resolve(DATASETS_DIR, recording)]);
            expect(result.files).toEqual([resolve(DATASETS_DIR, `${recording}.sysmon.jsonl.gz`)]);
            const pairs = result.incidents.map(pairOf);
            const required = pairs.filter((p) => !(expected.tolerated ?? []).includes(p)).sort();
            expect(required).toEqual([...expected.pairs].sort());
            if (expected.technique) {
                for (const incident of result.incidents) expect(incident.technique).toBe(expected.technique);
            }
            expect(
                result.incidents.map(
                    (i) =>
                        `${pairOf(i)} ${i.technique} ${i.severity}: ${[...new Set(i.contributions.map((c) => c.signal))].sort().join(', ')}`,
                ),
            ).toEqual(SIGNALS_FIRED[recording] ?? []);
            for (const incident of result.incidents) {
                // Never a garbled name where the recording knows a clean one (one recording has a corrupted SourceImage).
                for (const image of [incident.injector.image, incident.target.image])
                    if (image !== undefined) expect(isWellFormedImagePath(image), image).toBe(true);
                expect(incident.score).toBeGreaterThanOrEqual(DEFAULT_CORRELATION_CONFIG.incidentThreshold);
                expect(incident.signals.length).toBeGreaterThan(0);
                expect(incident.explanation).toContain(incident.technique);
            }
        });

        it('stage 1 forwarding only what correlation can use changes no incident and drops most of the traffic', async () => {
            const allowed = new Set<string>();
            let accepted = 0;
            let forwarded = 0;
            for (const recording of recordings) {
                const events = ingestBatch(
                    readGzipLines(`${recording}.sysmon.jsonl.gz`).map((body) => ({ body })),
                    new Date(),
                ).events;
                const needed = events.filter((e) => isNeededForCorrelation(e, allowed));
                accepted += events.length;
                forwarded += needed.length;
                const run = async (batch: typeof events) => {
                    const correlator = new Correlator({
                        config: DEFAULT_CORRELATION_CONFIG,
                        store: new InMemoryHostStateStore(),
                        publishers: [new IncidentStorePublisher(new InMemoryIncidentStore())],
                    });
                    const found = (await correlator.process(batch, new Date('2026-01-01T00:00:00Z'))).incidents;
                    return found.map((i) => [i.id, i.score, i.technique]).sort();
                };
                expect(await run(needed), recording).toEqual(await run(events));
            }
            expect(forwarded / accepted).toBeLessThan(0.5);
        });
    },
);
