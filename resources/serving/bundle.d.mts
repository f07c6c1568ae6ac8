/** Types of bundle.mjs (a plain ES module so that packaging can run it without tsx). */
export declare const serverEntry: string;
export declare function buildServerBundle(outFile: string): Promise<{ outFile: string; inputs: string[] }>;
