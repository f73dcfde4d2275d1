import { ApolloProvider, useApolloClient, useQuery } from '@apollo/client/react';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { createApolloClient } from './apollo';
import { MeDocument } from './gql/graphql';
import { navigate, useRoute, type Route } from './router';
import { getToken, onTokenChange, setToken } from './session';
import { CartPage } from './views/cart';
import { OrdersPage } from './views/orders';
import { ProductPage } from './views/product';
import { Products } from './views/products';
import { SignIn } from './views/sign-in';

function useSignedIn(): boolean {
  const [token, setCurrent] = useState(getToken);
  useEffect(() => onTokenChange(setCurrent), []);
  return token !== null;
}

function Header({ signedIn }: { signedIn: boolean }) {
  const client = useApolloClient();
  const { data } = useQuery(MeDocument, { skip: !signedIn });
  async function signOut() {
    setToken(null);
    await client.clearStore();
    navigate('#/');
  }
  return (
    <header className="top">
      <a className="brand" href="#/">Flash sale</a>
      <nav>
        <a href="#/">Products</a>
        {signedIn ? (
          <>
            <a href="#/cart">Cart</a>
            <a href="#/orders">Orders</a>
            <span className="muted who" data-testid="viewer">{data?.me?.name ?? ''}</span>
            <button className="link" onClick={signOut}>Sign out</button>
          </>
        ) : (
          <a href="#/signin">Sign in</a>
        )}
      </nav>
    </header>
  );
}

function View({ route, signedIn }: { route: Route; signedIn: boolean }) {
  switch (route.name) {
    case 'product':
      return <ProductPage key={route.id} id={route.id} />;
    case 'cart':
      return signedIn ? <CartPage /> : <SignIn />;
    case 'orders':
      return signedIn ? <OrdersPage /> : <SignIn />;
    case 'signin':
      return <SignIn />;
    default:
      return <Products after={route.after} />;
  }
}

function App() {
  const route = useRoute();
  const signedIn = useSignedIn();
  return (
    <>
      <Header signedIn={signedIn} />
      <main>
        <View route={route} signedIn={signedIn} />
      </main>
    </>
  );
}

const client = createApolloClient();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <App />
    </ApolloProvider>
  </StrictMode>,
);
