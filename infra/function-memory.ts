/**
 * Every function's memory size, declared apart from the CDK construct so that `npm run cost`
 * prices GB-seconds without loading the CDK. CPU scales with memory: at 1024 MB a cold start
 * (evaluating the bundled SDK) and the callback's store calls stay well inside Twilio's 5-second
 * deadline, for about the same cost per request (the same work finishes sooner).
 */
export const MEMORY_MB = 1024;
