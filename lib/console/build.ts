/**
 * Builds the console page: the browser script (lib/console/browser, bundled by esbuild for the
 * browser) and the stylesheet inlined into console.html, one self-contained document with no
 * external resource at all. `npm start` builds it once at start-up; `cdk synth` builds it and
 * copies it into the console function's bundle.
 *
 * The action forms follow the domain's own tables: the update parameters, the instructions'
 * requirements and the settable statuses are serialized here, on the Node side, and embedded in
 * the script, as are the event types the events view's filter offers. The domain itself is not
 * bundled for the browser (it uses node:crypto).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync, transformSync } from 'esbuild';
import { INSTRUCTIONS, STATUS_UPDATES, parametersOf, type InstructionSpec } from '../domain/instructions.ts';
import { INSTRUCTION_NAMES, type InstructionName, type ParameterSpec } from '../domain/parameters.ts';
import { RESERVATION_STATUSES, TRANSITIONS } from '../domain/state-machine.ts';
import { EVENT_TYPE_NAMES } from '../domain/events.ts';
import { MAX_WRAP_UP_SECONDS } from '../domain/lifecycle-policy.ts';
import { MAX_REASON_LENGTH } from '../domain/task-change.ts';
import type { ActionData, ConsoleData, FieldData } from './page-data.ts';

const DIR = import.meta.dirname;

/** Browsers of the last few years: the page uses nothing newer (dialog-free, no CSS nesting). */
const TARGET = ['chrome109', 'edge109', 'firefox115', 'safari16'];

/** The identifier the browser script reads the embedded data from (lib/console/browser/data.ts). */
export const DATA_IDENTIFIER = 'CONSOLE_DATA';

const isInstruction = (name: string | undefined): name is InstructionName => (INSTRUCTION_NAMES as readonly (string | undefined)[]).includes(name);

function fieldOf(parameter: ParameterSpec, instruction: InstructionSpec): FieldData {
  const { type } = parameter;
  return {
    name: parameter.name,
    kind: type.kind,
    ...(type.kind === 'integer' && { min: type.min, max: type.max }),
    ...(type.kind === 'sid' && { prefix: type.prefix }),
    ...((type.kind === 'enum' || type.kind === 'list') && { values: [...type.values] }),
    ...(parameter.default !== undefined && { default: parameter.default }),
    ...(instruction.required?.includes(parameter.name) && { required: true }),
    ...(instruction.contact === parameter.name && { contact: true }),
    ...(instruction.acceptWith === parameter.name && { accepts: true }),
  };
}

const fieldsOf = (name: InstructionName): FieldData[] => parametersOf(name).map((p) => fieldOf(p, INSTRUCTIONS[name]));

/** The page's view of lib/domain: statuses, the status updates and the instructions with their fields, the event types. */
export function consoleData(): ConsoleData {
  const statusTransitions: readonly string[] = Object.values(STATUS_UPDATES).filter((t) => t !== undefined);
  const statusUpdates: ActionData[] = Object.entries(STATUS_UPDATES).map(([status, transition]) => ({
    parameter: 'ReservationStatus',
    value: status,
    // A status update takes the parameters of the instruction of the same name (reject: WorkerActivitySid).
    fields: isInstruction(transition) ? fieldsOf(transition) : [],
    from: [...TRANSITIONS[transition!].from],
  }));
  const instructions: ActionData[] = INSTRUCTION_NAMES.filter((name) => !statusTransitions.includes(name)).map((name) => ({
    parameter: 'Instruction',
    value: name,
    fields: fieldsOf(name),
    from: [...TRANSITIONS[INSTRUCTIONS[name].transition].from],
  }));
  return {
    reservationStatuses: [...RESERVATION_STATUSES],
    statusUpdates,
    instructions,
    eventTypes: [...EVENT_TYPE_NAMES],
    maxReasonLength: MAX_REASON_LENGTH,
    maxWrapUpSeconds: MAX_WRAP_UP_SECONDS,
  };
}

/** An inline element's text may not close the element early. */
function inline(tag: 'script' | 'style', text: string): string {
  if (new RegExp(`</${tag}`, 'i').test(text)) throw new Error(`the console's ${tag} contains "</${tag}"`);
  return `<${tag}>${text}</${tag}>`;
}

let built: string | undefined;

/** The page's HTML: built once per process (it depends on the sources and the domain's tables only). */
export function buildConsoleHtml(): string {
  if (built !== undefined) return built;
  const script = buildSync({
    entryPoints: [join(DIR, 'browser', 'main.ts')],
    absWorkingDir: DIR,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: TARGET,
    minify: true,
    charset: 'utf8',
    legalComments: 'none',
    define: { [DATA_IDENTIFIER]: JSON.stringify(consoleData()) },
    logLevel: 'warning',
  }).outputFiles[0]!.text.trim();
  const style = transformSync(readFileSync(join(DIR, 'console.css'), 'utf8'), { loader: 'css', minify: true, target: TARGET, charset: 'utf8' }).code.trim();
  const template = readFileSync(join(DIR, 'console.html'), 'utf8');
  built = template.replace('<!-- style -->', () => inline('style', style)).replace('<!-- script -->', () => inline('script', script));
  return built;
}
