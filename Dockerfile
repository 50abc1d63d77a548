# The playground in a container: docker build -t playground . && docker run -p 7860:7860 playground
FROM python:3.11-slim
ENV GRADIO_ANALYTICS_ENABLED=False \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONUNBUFFERED=1 \
    PLAYGROUND_HOME=/data
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app.py .
COPY playground/ playground/
COPY pretrained/ pretrained/
VOLUME /data
EXPOSE 7860
# Inside a container the app must listen on every interface to be reachable from the host.
CMD ["python", "app.py", "--host", "0.0.0.0", "--port", "7860"]
