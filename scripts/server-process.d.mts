export declare function serverEntryIn(root: string): string;
export declare const DEFAULT_HEAP_MB: number;
export declare function serverProcess(env?: Record<string, string | undefined>): { nodeArgs: string[]; env: NodeJS.ProcessEnv };
