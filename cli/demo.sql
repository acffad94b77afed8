-- Sample data for the demo endpoint `berth dev` creates on its first run:
-- a small shop with customers, products, orders and their items.
CREATE TABLE customers (
  id          integer PRIMARY KEY,
  name        text NOT NULL,
  email       text NOT NULL UNIQUE,
  country     text NOT NULL,
  created_at  date NOT NULL
);
CREATE TABLE products (
  id        integer PRIMARY KEY,
  name      text NOT NULL,
  category  text NOT NULL,
  price     numeric(10, 2) NOT NULL CHECK (price > 0)
);
CREATE TABLE orders (
  id           integer PRIMARY KEY,
  customer_id  integer NOT NULL REFERENCES customers,
  status       text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')),
  ordered_at   date NOT NULL
);
CREATE TABLE order_items (
  order_id    integer NOT NULL REFERENCES orders,
  product_id  integer NOT NULL REFERENCES products,
  quantity    integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, product_id)
);

INSERT INTO customers
SELECT n, 'Customer ' || n, 'customer' || n || '@example.com',
       (ARRAY['NL', 'DE', 'FR', 'US', 'JP', 'BR'])[1 + n % 6],
       date '2025-01-01' + (n * 3)
FROM generate_series(1, 120) AS n;

INSERT INTO products
SELECT n, (ARRAY['Rope', 'Anchor', 'Buoy', 'Sail', 'Compass', 'Lantern'])[1 + n % 6] || ' ' || n,
       (ARRAY['rigging', 'safety', 'navigation'])[1 + n % 3],
       round((5 + (n * 37) % 200)::numeric + 0.99, 2)
FROM generate_series(1, 40) AS n;

INSERT INTO orders
SELECT n, 1 + (n * 7) % 120,
       (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + n % 4],
       date '2025-06-01' + (n % 150)
FROM generate_series(1, 300) AS n;

INSERT INTO order_items
SELECT o, 1 + (o * k * 11) % 40, 1 + (o + k) % 5
FROM generate_series(1, 300) AS o, generate_series(1, 2) AS k
ON CONFLICT DO NOTHING;
