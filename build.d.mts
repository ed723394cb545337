// Types of what build.mjs exports, for the TypeScript that imports it (bench/).
import type { BuildOptions } from 'esbuild';

export const uwsBinary: string;
export const bundleOptions: BuildOptions;
export function unitNames(): string[];
export function build(): Promise<{ file: string; bytes: number }[]>;
