/**
 * The traced floor: the minimal function of minimal-function.ts with the X-Ray tracing every one of
 * our functions carries under Lambda's active tracing, and nothing else of ours. Powertools Tracer
 * captures its three SDK clients (a subsegment per AWS call), and each invocation runs in a
 * handler subsegment annotated with the cold start, the service and an outcome, as
 * lib/handlers/instrumentation.ts has Tracer's middleware do; no middy, logging or metrics.
 *
 * Not the yardstick of the cold start to first answer, which is the SDK's own cost: reported beside
 * it so that the figure's gap splits into what tracing costs and what the rest of our code costs.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { clients, handler as untraced } from './minimal-function.ts';

const tracer = new Tracer({ serviceName: 'minimal' });
for (const client of clients) tracer.captureAWSv3Client(client);

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const facade = tracer.getSegment();
  const segment = facade?.addNewSubsegment(`## ${process.env['_HANDLER']}`);
  if (segment) tracer.setSegment(segment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    const answer = await untraced();
    tracer.putAnnotation('Outcome', 'answered');
    return answer;
  } finally {
    segment?.close();
    if (facade) tracer.setSegment(facade);
  }
};
