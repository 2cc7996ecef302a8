/**
 * The runtime's Statistics resources (the reads; counting is the core's, on every path that stores
 * events). Loaded only by the functions that declare `statistics` in `uses` (lib/functions.ts), and
 * locally.
 */
export { StatisticsService } from '../statistics/statistics-service.ts';
