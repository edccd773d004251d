import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The placeholder app/spa.py replaces with a fresh nonce in every response (CSP style-src).
export const CSP_NONCE_PLACEHOLDER = "QUARRY_CSP_NONCE";

export default defineConfig({
  plugins: [react()],
  html: { cspNonce: CSP_NONCE_PLACEHOLDER },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
