"""Products, carts, orders and payments.

May call hub services. Its parts are declared in `catalog.module`, which only the composition root
(`hub.composition`) imports.
"""
