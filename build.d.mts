// Types of what build.mjs exports, for the TypeScript that imports it (bench/).
import type { BuildOptions, StdinOptions } from 'esbuild';

export const uwsBinary: string;
export const bundleOptions: BuildOptions;
export function unitNames(): string[];
export function unitEntry(name: string): StdinOptions;
export function build(): Promise<{ file: string; bytes: number }[]>;
