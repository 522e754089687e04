"""Products, carts, orders and payments.

May call hub services; hub imports it only in its composition roots.
"""
