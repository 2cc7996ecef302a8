/**
 * Imported before Powertools Tracer (powertools-telemetry.ts), because the X-Ray SDK picks its mode
 * when it is first evaluated: in automatic mode it creates its context namespace (cls-hooked),
 * which enables a process-wide async hook that follows every promise to its destruction, whether
 * anything is traced or not.
 *
 * Tracer traces only in Lambda (AWS_EXECUTION_ENV set, and not the Amplify or SAM mocks, as
 * Powertools decides): there the SDK keeps its automatic mode, which the handler's segment needs.
 * Anywhere else (npm start, the tests, the scripts) nothing is traced, so the SDK starts in manual
 * mode and no hook follows the local stack's promises. An AWS_XRAY_MANUAL_MODE already set wins.
 */
const executionEnv = process.env['AWS_EXECUTION_ENV'] ?? '';
const traced = executionEnv !== '' && executionEnv !== 'AWS_Lambda_amplify-mock' && process.env['AWS_SAM_LOCAL'] !== 'true';
if (!traced) process.env['AWS_XRAY_MANUAL_MODE'] ??= 'true';
