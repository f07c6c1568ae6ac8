/** Entry point: picks the transport (Electron bridge or browser mode) and mounts the app. */
import './zodConfig.ts';
// The global stylesheet first: the features' own stylesheets, imported by their components, follow it.
import './styles.css';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { ApiError } from './api/apiError.ts';
import { ClientContext, createClient } from './api/client.ts';
import { createTransport } from './api/transport.ts';

const client = createClient(createTransport());
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: false,
      // Errors with a code are answers (not found, invalid input); retrying them only delays them.
      retry: (count, err) =>
        count < 2 && err instanceof ApiError && (err.code === 'IO' || err.code === 'INTERNAL'),
    },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element.');
createRoot(root).render(
  <StrictMode>
    <ClientContext.Provider value={client}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </ClientContext.Provider>
  </StrictMode>,
);
