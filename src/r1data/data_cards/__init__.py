from r1data.data_cards.card import render_card, size_category, write_card

__all__ = ["render_card", "size_category", "write_card"]
