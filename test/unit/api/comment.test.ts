/** The incident comment: attacker-controlled strings escaped, Sentinel's 30,000-character limit kept with a note. */
import { describe, expect, it } from 'vitest';
import {
    SENTINEL_COMMENT_LIMIT,
    escapeHtml,
    escapeMarkdown,
    investigationSteps,
    renderComment,
} from '../../../shared/api/comment';
import { SIGNALS } from '../../../shared/correlate/signals';
import type { Incident } from '../../../shared/correlate/incident';

function incident(id: string, commandLine: string): Incident {
    return {
        id,
        version: 1,
        host: 'ws01.contoso.local',
        technique: 'T1055.012',
        techniqueName: 'Process Injection: Process Hollowing',
        score: 85,
        severity: 'High',
        injector: { processGuid: 'a', image: 'C:\\Users\\u\\<img src=x onerror=alert(1)>.exe', processId: 1 },
        target: { processGuid: 'b', image: 'C:\\Windows\\System32\\svchost.exe', processId: 2, commandLine },
        firstSeen: '2024-05-01T10:15:00.000Z',
        lastSeen: '2024-05-01T10:15:01.000Z',
        signals: [
            {
                name: 'image-replaced',
                eventId: 25,
                time: '2024-05-01T10:15:00.040Z',
                detail: 'EID 25: <script>alert(1)</script>',
                points: 60,
            },
        ],
        contributions: [{ signal: 'image-replaced', points: 60 }],
        explanation: 'x -> svchost.exe: <b>bold</b>',
        createdAt: '2024-05-01T10:20:00.000Z',
        updatedAt: '2024-05-01T10:20:00.000Z',
    };
}

describe('incident comment', () => {
    it("lists the possible investigation steps of the signals that scored (the signal catalogue's triage), each once", () => {
        const base = incident('hti-00000000000003', 'svchost.exe');
        const withTwo: Incident = {
            ...base,
            contributions: [
                { signal: 'image-replaced', points: 60 },
                { signal: 'hollowing-host-without-arguments', points: 15 },
            ],
        };
        const expected = [...SIGNALS['image-replaced'].triage, ...SIGNALS['hollowing-host-without-arguments'].triage];
        expect(investigationSteps(withTwo)).toEqual(expected);
        expect(investigationSteps({ contributions: [...withTwo.contributions, ...withTwo.contributions] })).toEqual(
            expected,
        );
        const { html, markdown } = renderComment([{ incident: withTwo }]);
        for (const step of expected) expect(html).toContain(escapeHtml(step));
        expect(markdown).toContain(`1. ${escapeMarkdown(expected[0]!)}`);
    });

    it('escapes every attacker-controlled string in HTML and Markdown', () => {
        const { html, markdown } = renderComment([
            { incident: incident('hti-00000000000001', '"</td><script>alert(2)</script>" & more') },
        ]);
        expect(html).not.toMatch(/<script|<img|<b>bold|<\/td><script/);
        expect(html).toContain('&lt;script&gt;');
        expect(markdown).not.toMatch(/<script|<img|<b>/);
        expect(markdown).toContain('&lt;script&gt;');
    });

    it('stays within 30,000 characters and says what it left out', () => {
        const many = Array.from({ length: 200 }, (_, i) => ({
            incident: incident(`hti-${String(i).padStart(14, '0')}`, 'x'.repeat(2000)),
        }));
        const { html, markdown } = renderComment(many);
        for (const text of [html, markdown]) {
            expect(text.length).toBeLessThanOrEqual(SENTINEL_COMMENT_LIMIT);
            expect(text).toMatch(/Comment cut at Sentinel's 30,000-character limit: \d+ more chain/);
        }
    });

    it('no match: a short comment saying so', () => {
        expect(renderComment([]).markdown).toMatch(/found no process-injection chain/);
    });

    it.each([
        ['<a href="x">', '&lt;a href=&quot;x&quot;&gt;'],
        ["it's `code`", 'it&#39;s &#96;code&#96;'],
    ])('escapeHtml(%s)', (input, expected) => {
        expect(escapeHtml(input)).toBe(expected);
    });

    it('escapeMarkdown neutralizes links, emphasis and HTML', () => {
        expect(escapeMarkdown('[x](javascript:alert(1)) **b** <i>')).toBe(
            '\\[x\\]\\(javascript:alert\\(1\\)\\) \\*\\*b\\*\\* &lt;i&gt;',
        );
    });

    it('a lone CR, CR LF or LF in a field never starts a new Markdown line', () => {
        const { markdown } = renderComment([
            { incident: incident('hti-00000000000001', 'a\r# heading\r\n- item\nb\r> quote') },
        ]);
        const line = markdown.split(/\r\n?|\n/).find((l) => l.startsWith('- **Target command line**'));
        expect(line).toBe('- **Target command line**: a \\# heading \\- item b &gt; quote');
        expect(markdown).not.toContain('\r');
    });

    it('bare https:// and www. text in a field renders as text, not as a GFM autolink', () => {
        const { markdown } = renderComment([
            {
                incident: {
                    ...incident('hti-00000000000001', 'curl https://evil.example/p?a=1 WWW.evil.example http://x'),
                    explanation: 'see www.evil.example',
                },
            },
        ]);
        // Our own technique link aside, no scheme:// and no www. is left for an autolinker to find.
        const text = markdown.replace(/\(https:\/\/attack\.mitre\.org\/techniques\/[^)]*\)/g, '');
        expect(text).not.toMatch(/[a-z]:\/\//i);
        expect(text).not.toMatch(/www\./i);
        expect(text).toContain('curl https:\\/\\/evil.example/p?a=1 WWW\\.evil.example http:\\/\\/x');
        expect(text).toContain('see www\\.evil.example');
    });
});
