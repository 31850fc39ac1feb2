"""The Qt face of the kiosk: QML screens and the Python view model behind them."""
