// env.d.ts: types for what Vite resolves that TypeScript does not know (CSS imports).
declare module '*.css';
