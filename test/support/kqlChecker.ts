/**
 * Parses and analyses KQL with Microsoft's Kusto parser (@kusto/language-service-next, the Bridge.NET build of
 * Kusto.Language) against declared table schemas: syntax errors and unknown names come back as diagnostics.
 * The schemas of the workspace tables are the columns the Azure Monitor table reference lists
 * (learn.microsoft.com/azure/azure-monitor/reference/tables/event, .../windowsevent, .../securityalert);
 * `HollowtraceIncidents_CL` comes from the row schema module. The Application Insights tables the monitoring queries
 * read are a separate set ({@link APPLICATION_INSIGHTS_TABLES}).
 */
import { INCIDENT_ROW_COLUMNS, INCIDENT_TABLE, kqlSchema } from '../../shared/delivery/incidentRow';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
let kusto: any;
function language(): any {
    if (!kusto) {
        // The Bridge runtime must be loaded before the package; both attach to globalThis.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@kusto/language-service-next/bridge.js');
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@kusto/language-service-next');
        kusto = (globalThis as any).Kusto.Language;
    }
    return kusto;
}

const STANDARD = 'TenantId:string, SourceSystem:string, Type:string, _ResourceId:string';

/** Workspace tables our KQL reads, with the columns of the Azure Monitor table reference. */
export const WORKSPACE_TABLES: Readonly<Record<string, string>> = {
    Event: `(TimeGenerated:datetime, Source:string, EventLog:string, Computer:string, EventLevel:int, EventLevelName:string, EventID:int, UserName:string, RenderedDescription:string, EventData:string, ParameterXml:string, EventCategory:int, MG:string, ManagementGroupName:string, AzureDeploymentID:string, Role:string, ${STANDARD})`,
    WindowsEvent: `(TimeGenerated:datetime, Channel:string, Computer:string, Data:dynamic, EventData:dynamic, EventID:int, EventLevel:int, EventLevelName:string, EventOriginId:string, Keywords:string, ManagementGroupName:string, Opcode:string, Provider:string, RawEventData:string, SystemProcessId:int, SystemThreadId:int, SystemUserId:string, Task:int, TimeCreated:datetime, Version:int, Correlation:string, ${STANDARD})`,
    SecurityAlert: `(TimeGenerated:datetime, DisplayName:string, AlertName:string, AlertSeverity:string, Description:string, ProviderName:string, VendorName:string, VendorOriginalId:string, SystemAlertId:string, ResourceId:string, SourceComputerId:string, AlertType:string, ConfidenceLevel:string, ConfidenceScore:real, IsIncident:bool, StartTime:datetime, EndTime:datetime, ProcessingEndTime:datetime, RemediationSteps:string, ExtendedProperties:string, Entities:string, WorkspaceSubscriptionId:string, WorkspaceResourceGroup:string, ExtendedLinks:string, ProductName:string, ProductComponentName:string, AlertLink:string, Status:string, CompromisedEntity:string, Tactics:string, Techniques:string, SubTechniques:string, ${STANDARD})`,
    [INCIDENT_TABLE]: kqlSchema(INCIDENT_ROW_COLUMNS),
};

/**
 * Application Insights tables the monitoring queries (deploy/monitoring) read. customMetrics: the classic query columns
 * (learn.microsoft.com/azure/azure-monitor/app/data-model-complete); AppMetrics: the workspace-based table
 * (learn.microsoft.com/azure/azure-monitor/reference/tables/appmetrics); traces: the classic columns of log records.
 */
export const APPLICATION_INSIGHTS_TABLES: Readonly<Record<string, string>> = {
    customMetrics:
        '(timestamp:datetime, name:string, value:real, valueCount:int, valueSum:real, valueMin:real, valueMax:real, valueStdDev:real, customDimensions:dynamic, cloud_RoleName:string, cloud_RoleInstance:string, operation_Name:string, appName:string)',
    traces: '(timestamp:datetime, message:string, severityLevel:int, itemType:string, customDimensions:dynamic, operation_Id:string, operation_Name:string, cloud_RoleName:string, cloud_RoleInstance:string, appName:string)',
    AppMetrics: `(TimeGenerated:datetime, Name:string, Sum:real, Min:real, Max:real, ItemCount:int, Properties:dynamic, AppRoleName:string, AppRoleInstance:string, OperationName:string, ${STANDARD})`,
};

export interface KqlDiagnostic {
    severity: string;
    code: string;
    message: string;
    start: number;
    end: number;
}

export interface KqlAnalysis {
    diagnostics: KqlDiagnostic[];
    /** Columns of the query's result, as `name:type`, when the result is a table. */
    resultColumns: string[];
}

const globalsBySchema = new Map<Readonly<Record<string, string>>, any>();
function globalState(schema: Readonly<Record<string, string>>): any {
    let globals = globalsBySchema.get(schema);
    if (!globals) {
        const K = language();
        const tables = Object.entries(schema).map(
            ([name, columns]) => new K.Symbols.TableSymbol.$ctor7(name, columns, null),
        );
        // DatabaseSymbol.ctor(name, members): the $ctor2 overload takes an alternate name first.
        globals = K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor('workspace', tables));
        globalsBySchema.set(schema, globals);
    }
    return globals;
}

/**
 * Parses and analyses `query` against `tables` (default: the workspace tables); diagnostics of every severity are
 * returned (errors and warnings).
 */
export function analyzeKql(query: string, tables: Readonly<Record<string, string>> = WORKSPACE_TABLES): KqlAnalysis {
    const K = language();
    const code = K.KustoCode.ParseAndAnalyze(query, globalState(tables));
    const list = code.GetDiagnostics();
    const diagnostics: KqlDiagnostic[] = [];
    for (let i = 0; i < list.Count; i++) {
        const d = list.getItem(i);
        diagnostics.push({
            severity: String(d.Severity),
            code: d.Code,
            message: d.Message,
            start: d.Start,
            end: d.End,
        });
    }
    const resultColumns: string[] = [];
    const result = code.ResultType;
    if (result && result.Columns) {
        for (let i = 0; i < result.Columns.Count; i++) {
            const column = result.Columns.getItem(i);
            resultColumns.push(`${column.Name}:${column.Type.Name}`);
        }
    }
    return { diagnostics, resultColumns };
}
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */

/** Diagnostics as readable lines, with the text they point at. */
export function describeDiagnostics(query: string, diagnostics: readonly KqlDiagnostic[]): string[] {
    return diagnostics.map(
        (d) => `${d.severity} ${d.code} at ${d.start}: ${d.message} (${JSON.stringify(query.slice(d.start, d.end))})`,
    );
}
