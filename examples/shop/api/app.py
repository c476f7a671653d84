from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/orders")
def orders():
    return jsonify([])
