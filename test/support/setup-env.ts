import fc from 'fast-check';

// The twilio SDK rewrites hostnames when these are set (notes §8): tests must not inherit them.
delete process.env['TWILIO_REGION'];
delete process.env['TWILIO_EDGE'];

// Property tests are reproducible: a fixed seed unless FUZZ_SEED picks another.
fc.configureGlobal({ seed: Number(process.env['FUZZ_SEED'] ?? 20_261_124) });
