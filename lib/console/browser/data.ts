/** The domain's tables as lib/console/build.ts embedded them (esbuild `define`). */
import type { ConsoleData } from '../page-data.ts';

declare const CONSOLE_DATA: ConsoleData;

export const DATA: ConsoleData = CONSOLE_DATA;
