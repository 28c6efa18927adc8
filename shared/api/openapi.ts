/**
 * @module The OpenAPI 2.0 (Swagger) document of the playbook API. Logic Apps custom connectors import OpenAPI 2.0
 * (learn.microsoft.com, "Create a custom connector from an OpenAPI definition"): every operation has an operationId,
 * a summary and schemas, and the function key travels as the `x-functions-key` header (api key security).
 */
import { MAX_DEAD_LETTERS_LISTED } from './deadLetterQuery';

type Scalar = 'string' | 'integer' | 'boolean' | 'date-time' | 'date';

/** Schemas of plain-valued properties, in the order given; dates are strings with a format in OpenAPI 2.0. */
function scalars(types: Record<string, Scalar>): Record<string, { type: string; format?: string }> {
    return Object.fromEntries(
        Object.entries(types).map(([name, type]) => [
            name,
            type === 'date-time' || type === 'date' ? { type: 'string', format: type } : { type },
        ]),
    );
}

/** A `$ref` to one of the document's definitions. */
function ref(definition: 'Incident' | 'ProcessSummary' | 'Signal' | 'Problem' | 'DeadLetter'): { $ref: string } {
    return { $ref: `#/definitions/${definition}` };
}

const processSummary = {
    type: 'object',
    properties: {
        ...scalars({ image: 'string', processGuid: 'string', processId: 'integer', commandLine: 'string' }),
        creationTime: {
            type: 'string',
            format: 'date-time',
            description: 'When the process was created (Sysmon EID 1)',
        },
    },
};

const incident = {
    type: 'object',
    required: [
        'id',
        'version',
        'host',
        'technique',
        'score',
        'severity',
        'injector',
        'target',
        'signals',
        'explanation',
    ],
    properties: {
        id: { type: 'string', description: 'Stable id of the chain (hti-<14 hex digits>)' },
        version: { type: 'integer', description: 'Grows as evidence is added' },
        host: { type: 'string' },
        technique: { type: 'string', enum: ['T1055', 'T1055.001', 'T1055.002', 'T1055.003', 'T1055.012', 'T1620'] },
        techniqueName: { type: 'string' },
        score: { type: 'integer', minimum: 0, maximum: 100 },
        severity: { type: 'string', enum: ['High', 'Medium', 'Low'] },
        injector: ref('ProcessSummary'),
        target: ref('ProcessSummary'),
        ...scalars({ firstSeen: 'date-time', lastSeen: 'date-time' }),
        signals: { type: 'array', items: ref('Signal') },
        contributions: {
            type: 'array',
            items: { type: 'object', properties: scalars({ signal: 'string', points: 'integer' }) },
        },
        explanation: { type: 'string' },
        notes: {
            type: 'array',
            items: { type: 'string' },
            description: 'What the incident says besides its signals, e.g. an image name corrected across events',
        },
        ...scalars({ createdAt: 'date-time', updatedAt: 'date-time' }),
        afterExpiry: {
            type: 'object',
            description:
                'Present when an earlier chain on this target expired before this evidence arrived (see explanation)',
            properties: scalars({ expiredAt: 'date-time', previousVersion: 'integer' }),
        },
    },
};

const signal = {
    type: 'object',
    properties: {
        ...scalars({
            name: 'string',
            eventId: 'integer',
            recordId: 'integer',
            time: 'date-time',
            detail: 'string',
            points: 'integer',
            grantedAccess: 'integer',
        }),
        access: {
            type: 'object',
            properties: {
                ...scalars({ mask: 'string' }),
                rights: { type: 'array', items: { type: 'string' } },
                capabilities: { type: 'array', items: { type: 'string' } },
            },
        },
    },
};

const deadLetter = {
    type: 'object',
    required: [
        'id',
        'reason',
        'detail',
        'raw',
        'rawTruncated',
        'rawBytes',
        'messageIndex',
        'recordIndex',
        'rejectedAt',
    ],
    properties: {
        ...scalars({
            id: 'string',
            reason: 'string',
            detail: 'string',
            raw: 'string',
            rawTruncated: 'boolean',
            rawBytes: 'integer',
            partitionId: 'string',
            sequenceNumber: 'integer',
            offset: 'string',
            enqueuedTime: 'date-time',
        }),
        stage: {
            type: 'string',
            enum: ['ingest', 'correlate'],
            description: 'Parked batches (reason retries-exhausted): the stage whose retries ran out',
        },
        ...scalars({ messageIndex: 'integer', recordIndex: 'integer', rejectedAt: 'date-time' }),
    },
};

/** The query parameters that select dead letters, shared by listing and reprocessing. */
function deadLetterSelection(sinceDayDescription: string, reasonDescription?: string): Record<string, unknown>[] {
    return [
        {
            name: 'sinceDay',
            in: 'query',
            type: 'string',
            format: 'date',
            required: false,
            description: sinceDayDescription,
        },
        {
            name: 'reason',
            in: 'query',
            type: 'string',
            pattern: '^[a-z0-9-]{1,64}$',
            required: false,
            ...(reasonDescription === undefined ? {} : { description: reasonDescription }),
        },
        {
            name: 'limit',
            in: 'query',
            type: 'integer',
            minimum: 1,
            maximum: MAX_DEAD_LETTERS_LISTED,
            required: false,
            description: 'Default 50',
        },
        {
            name: 'after',
            in: 'query',
            type: 'string',
            required: false,
            description: 'The next value of the previous answer',
        },
    ];
}

const problem = {
    type: 'object',
    required: ['status', 'code', 'detail'],
    properties: scalars({
        type: 'string',
        title: 'string',
        status: 'integer',
        code: 'string',
        detail: 'string',
        field: 'string',
    }),
};

const errors = {
    '400': {
        description: 'Invalid request (application/problem+json naming the code and the field)',
        schema: ref('Problem'),
    },
    '503': { description: 'Storage unavailable; retry', schema: ref('Problem') },
};

/** Builds the document; `host` and `basePath` describe where the API is served. */
export function openApiDocument(
    host: string,
    basePath = '/api',
    scheme: 'https' | 'http' = 'https',
): Record<string, unknown> {
    return {
        swagger: '2.0',
        info: {
            title: 'hollowtrace',
            version: '1.0.0',
            description:
                'Process hollowing (T1055.012) and process injection chains from Sysmon, for Microsoft Sentinel playbooks.',
        },
        host,
        basePath,
        schemes: [scheme],
        consumes: ['application/json'],
        produces: ['application/json'],
        securityDefinitions: { functionKey: { type: 'apiKey', name: 'x-functions-key', in: 'header' } },
        security: [{ functionKey: [] }],
        paths: {
            '/incidents/enrich': {
                post: {
                    operationId: 'EnrichIncident',
                    summary: 'Enrich a Sentinel incident',
                    description:
                        'Takes the Microsoft Sentinel incident trigger body (or an alert with Entities, or a list of entities) and returns the matching chains, a comment, tags and a severity. At most 500 entities and 100 distinct host names per request (400 too-many-entities / too-many-host-names beyond); the workspace enrichment of all matched chains shares one time budget.',
                    parameters: [
                        {
                            name: 'body',
                            in: 'body',
                            required: true,
                            schema: {
                                type: 'object',
                                description: 'Sentinel incident trigger body, alert, or entity list',
                            },
                        },
                    ],
                    responses: {
                        '200': {
                            description: 'Matching chains with a ready-to-post comment',
                            schema: {
                                type: 'object',
                                properties: {
                                    incidentArmId: { type: 'string' },
                                    matched: { type: 'array', items: ref('Incident') },
                                    comment: {
                                        type: 'object',
                                        properties: { html: { type: 'string' }, markdown: { type: 'string' } },
                                    },
                                    tags: { type: 'array', items: { type: 'string' } },
                                    severity: { type: 'string', enum: ['High', 'Medium', 'Low'] },
                                },
                            },
                        },
                        '413': { description: 'Body too large', schema: ref('Problem') },
                        ...errors,
                    },
                },
            },
            '/incidents': {
                get: {
                    operationId: 'ListIncidents',
                    summary: 'List incidents',
                    parameters: [
                        {
                            name: 'host',
                            in: 'query',
                            type: 'string',
                            required: false,
                            description: 'Host name (case-insensitive)',
                        },
                        { name: 'since', in: 'query', type: 'string', format: 'date-time', required: false },
                        { name: 'until', in: 'query', type: 'string', format: 'date-time', required: false },
                        {
                            name: 'technique',
                            in: 'query',
                            type: 'string',
                            enum: ['T1055', 'T1055.001', 'T1055.002', 'T1055.003', 'T1055.012', 'T1620'],
                            required: false,
                        },
                        { name: 'minScore', in: 'query', type: 'integer', minimum: 0, maximum: 100, required: false },
                        { name: 'limit', in: 'query', type: 'integer', minimum: 1, maximum: 1000, required: false },
                        {
                            name: 'continuationToken',
                            in: 'query',
                            type: 'string',
                            required: false,
                            description:
                                'opaque, from the previous page; any other value is 400 invalid-continuation-token',
                        },
                    ],
                    responses: {
                        '200': {
                            description: 'A page of incidents',
                            schema: {
                                type: 'object',
                                properties: {
                                    incidents: { type: 'array', items: ref('Incident') },
                                    continuationToken: { type: 'string' },
                                },
                            },
                        },
                        ...errors,
                    },
                },
            },
            '/incidents/{id}': {
                get: {
                    operationId: 'GetIncident',
                    summary: 'Get one incident',
                    parameters: [{ name: 'id', in: 'path', type: 'string', required: true }],
                    responses: {
                        '200': { description: 'The incident', schema: ref('Incident') },
                        '404': { description: 'Unknown id', schema: ref('Problem') },
                        ...errors,
                    },
                },
            },
            '/dead-letters': {
                get: {
                    operationId: 'ListDeadLetters',
                    summary: 'List rejected inputs',
                    description:
                        'Inputs stage 1 or stage 2 rejected, with reason, detail, raw text (at most 30,000 characters) and Event Hub coordinates; newest day first.',
                    parameters: deadLetterSelection(
                        'UTC day (enqueued, else rejected) to list from; default: the last 7 days',
                        'Only this reason code, e.g. malformed-xml',
                    ),
                    responses: {
                        '200': {
                            description: 'Dead letters, newest day first',
                            schema: {
                                type: 'object',
                                properties: {
                                    ...scalars({ sinceDay: 'date' }),
                                    deadLetters: { type: 'array', items: ref('DeadLetter') },
                                    next: {
                                        type: 'string',
                                        description:
                                            'Pass as after for the next page; null on the last page. A page ends early at 4,000,000 characters of raw text',
                                    },
                                },
                            },
                        },
                        ...errors,
                    },
                },
            },
            '/dead-letters/reprocess': {
                post: {
                    operationId: 'ReprocessDeadLetters',
                    summary: 'Run rejected inputs through ingestion again',
                    description:
                        'After a limit was raised or an upgrade: reads the selected letters again; what now reads is forwarded to correlation and its letter deleted, what is still rejected is written back with its new reason. Letters whose raw text was cut or is base64 are kept and listed in skipped. Call again with after = next while next is not null.',
                    parameters: deadLetterSelection('UTC day to start from; default: the last 7 days'),
                    responses: {
                        '200': {
                            description: 'What became of the letters',
                            schema: {
                                type: 'object',
                                properties: {
                                    ...scalars({
                                        sinceDay: 'date',
                                        limit: 'integer',
                                        examined: 'integer',
                                        resolved: 'integer',
                                        stillRejected: 'integer',
                                        forwarded: 'integer',
                                    }),
                                    skipped: {
                                        type: 'array',
                                        items: {
                                            type: 'object',
                                            properties: scalars({ id: 'string', why: 'string' }),
                                        },
                                    },
                                    next: { type: 'string', description: 'Pass as after to go on; null when done' },
                                },
                            },
                        },
                        ...errors,
                    },
                },
            },
            '/health': {
                get: {
                    operationId: 'GetHealth',
                    summary: 'Whether storage answers',
                    security: [],
                    responses: {
                        '200': {
                            description: 'Healthy',
                            schema: {
                                type: 'object',
                                properties: scalars({ status: 'string', storage: 'string', latencyMs: 'integer' }),
                            },
                        },
                        '503': {
                            description: 'Storage unavailable',
                            schema: {
                                type: 'object',
                                properties: scalars({ status: 'string', storage: 'string' }),
                            },
                        },
                    },
                },
            },
        },
        definitions: {
            Incident: incident,
            ProcessSummary: processSummary,
            Signal: signal,
            Problem: problem,
            DeadLetter: deadLetter,
        },
    };
}
