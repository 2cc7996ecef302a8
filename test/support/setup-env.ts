import fc from 'fast-check';

// The twilio SDK rewrites hostnames with a region and edge when these are set (127.0.0.1 becomes
// 127.us1.0.1): tests must not inherit them.
delete process.env['TWILIO_REGION'];
delete process.env['TWILIO_EDGE'];

// Property tests are reproducible: a fixed seed unless FUZZ_SEED picks another.
fc.configureGlobal({ seed: Number(process.env['FUZZ_SEED'] ?? 20_261_124) });
